"""Government-plus-enterprise data service: the live data the chatbot's actions answer from."""
