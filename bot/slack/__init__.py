"""How it is sent: the Bolt app, its listeners, payload models, delivery, HTTP and Socket Mode."""
