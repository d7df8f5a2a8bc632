"""Flow graphs: models, the definition language and its validation, design services."""
