"""The brand spec: models, loader, sizes, forbidden content, photos, assets, importers (imports nothing itself)."""
