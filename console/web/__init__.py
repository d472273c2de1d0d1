"""The console's web app: server-rendered pages, one router module per page."""
