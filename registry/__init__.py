"""gridreg domain: model, ids, errors, settings, stores and queries. No web, no file formats."""
