"""What operators and load balancers ask the server: `/health`, `/ready`, `/metrics`."""
