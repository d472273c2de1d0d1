"""Rasa's Jieba tokenizer and regex featurizer, reading Traditional Chinese as Simplified.

Citizens from Hong Kong, Macau and Taiwan write 預約/辦/居住證/閔行; the training data, Jieba's
dictionaries and the lookup words are Simplified, so a fully Traditional message got no known
words ("我要預約辦居住證" → inform 0.58, "閔行" → nlu_fallback). OpenCC (`t2s`, the converter the data
service's resolver uses too) turns the text into Simplified before Jieba segments it and before the
lookup tables (district and service words, which the entity model leans on) are matched. Tokens keep
the offsets of the original message, so entity spans still point at what the citizen typed (the
data service resolves Traditional spans itself); a conversion that would change the length, and
with it the offsets, is not used.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any, List, Text

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.featurizers.sparse_featurizer.regex_featurizer import RegexFeaturizer
from rasa.nlu.tokenizers.jieba_tokenizer import JiebaTokenizer
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.shared.nlu.training_data.message import Message


@lru_cache(maxsize=1)
def _converter():
    import opencc

    return opencc.OpenCC("t2s")


# The tokenizer and the regex featurizer both convert each message: the second one is a hit.
@lru_cache(maxsize=1024)
def to_simplified(text: Any) -> Any:
    """The text in Simplified characters, offset for offset (unchanged if that is not possible,
    or if it is not text)."""
    if not isinstance(text, str) or not text or text.isascii():
        return text
    simplified = _converter().convert(text)
    return simplified if len(simplified) == len(text) else text


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=True)
class SimplifyingJiebaTokenizer(JiebaTokenizer):
    def tokenize(self, message: Message, attribute: Text) -> List[Token]:
        text = message.get(attribute)
        simplified = to_simplified(text)
        if simplified == text:
            return super().tokenize(message, attribute)
        return super().tokenize(Message(data={attribute: simplified}), attribute)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=True)
class SimplifyingRegexFeaturizer(RegexFeaturizer):
    def _features_for_patterns(self, message: Message, attribute: Text) -> Any:
        text = message.get(attribute)
        simplified = to_simplified(text)
        if simplified != text:
            # Same tokens (the featurizer marks matches on them), Simplified text to match.
            message = Message(data={**message.data, attribute: simplified})
        return super()._features_for_patterns(message, attribute)
