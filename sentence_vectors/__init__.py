"""Multilingual sentence vectors, shared by the assistant's intent classifier (bot/nlu/) and the
data service's work-order classifier (dataservice/work_orders/): one encoder, one cache policy."""
