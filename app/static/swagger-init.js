// Starts Swagger UI on /api/docs (kept out of the page so the CSP can forbid inline scripts).
window.addEventListener("load", function () {
  var container = document.getElementById("swagger-ui-container");
  window.ui = SwaggerUIBundle({ url: container.dataset.specUrl, dom_id: "#swagger-ui-container" });
});
