"""ASGI entry point for uvicorn workers: `uvicorn dataservice.asgi:app`."""
from dataservice.main import create_app

app = create_app()
