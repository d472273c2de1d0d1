"""Custom NLU components (registered with Rasa's default recipe; referenced by class path in
config.yml) and the Jieba user dictionary (bot/nlu/jieba)."""
