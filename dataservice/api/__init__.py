"""HTTP routes, one module per source; `routers.py` lists them. Routes parse, call a repository
or a service (dataservice/verification.py, dataservice/bookings.py) and shape the answer."""
