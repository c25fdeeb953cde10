"""Route modules, one per topic; :data:`ROUTERS` is mounted by the app factory."""
