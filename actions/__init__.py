"""rasa-sdk custom actions: answer citizens from the data service. One module per topic."""
