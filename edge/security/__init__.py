"""Security of the ZeroMQ side (issue 10): CURVE key files, the server secret's sources, the ZAP
allow-list of client keys, and the rule that only loopback endpoints may go without them."""
