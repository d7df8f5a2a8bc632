"""Design time: definition languages, their schemas, validation, compilation, publishing."""
