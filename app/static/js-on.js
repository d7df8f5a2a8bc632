// Marks the page as scripted before it paints, so CSS may hide conditional fields.
document.documentElement.classList.add("js");
