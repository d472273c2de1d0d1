"""WeChat's push protocol: who may push (signatures, fresh timestamps), what a push says (XML,
decrypted in safe mode) and how a passive reply is written.

Every request is authenticated (signature over token/timestamp/nonce, plus msg_signature over the
ciphertext in safe mode) and must be fresh. XML is parsed with defusedxml (no DTD, no entities)
before wechatpy's parser sees it; FromUserName must look like an openid.
"""
from __future__ import annotations

import hashlib
import hmac
import re
import time
from typing import Any, List, Optional
from xml.etree.ElementTree import Element

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException
from sanic import response
from sanic.request import Request
from sanic.response import HTTPResponse
from wechatpy import parse_message
from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidAppIdException, InvalidSignatureException
from wechatpy.replies import TextReply
from wechatpy.utils import WeChatSigner

from bot.settings import WeChatSettings

OPENID_RE = re.compile(r"[A-Za-z0-9_-]{1,64}")  # what WeChat issues (28 characters today)


class Rejected(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def dedupe_id(message: Any) -> str:
    """MsgId, or FromUserName + CreateTime (+ event) for events, which have no MsgId."""
    if getattr(message, "id", None):
        return f"id:{message.id}"
    raw = f"{message.source}|{message.time}|{getattr(message, 'event', '')}"
    return "ev:" + hashlib.sha1(raw.encode("utf-8")).hexdigest()


class WeChatProtocol:
    def __init__(self, settings: WeChatSettings) -> None:
        self.token = settings.token
        self.window = settings.timestamp_window
        self.crypto = (WeChatCrypto(settings.token, settings.aes_key, settings.app_id)
                       if settings.token and settings.aes_key else None)

    def _signature_ok(self, expected_parts: List[str], signature: str) -> bool:
        signer = WeChatSigner()
        signer.add_data(*expected_parts)
        return hmac.compare_digest(signer.signature, signature or "")

    def check_request(self, args) -> tuple:
        """(signature, timestamp, nonce) of a signed, fresh request; Rejected otherwise."""
        signature, timestamp, nonce = (args.get("signature"), args.get("timestamp"),
                                       args.get("nonce"))
        if not (signature and timestamp and nonce):
            raise Rejected(403, "missing signature")
        try:
            ts = int(timestamp)
        except ValueError:
            raise Rejected(403, "bad timestamp")
        if abs(time.time() - ts) > self.window:
            raise Rejected(403, "stale timestamp")
        if not self._signature_ok([self.token, timestamp, nonce], signature):
            raise Rejected(403, "bad signature")
        return signature, timestamp, nonce

    @staticmethod
    def _parse_xml(data: Any) -> Element:
        try:
            root = SafeET.fromstring(data, forbid_dtd=True, forbid_entities=True,
                                     forbid_external=True)
        except (DefusedXmlException, SafeET.ParseError, ValueError, TypeError) as e:
            raise Rejected(400, f"bad xml: {type(e).__name__}")
        if root.tag != "xml":
            raise Rejected(400, "bad xml root")
        return root

    def decode(self, request: Request, body: bytes, timestamp: str, nonce: str):
        """The push as wechatpy's message object."""
        root = self._parse_xml(body)
        encrypted = request.args.get("encrypt_type") == "aes"
        if self.crypto is not None:
            if not encrypted or not request.args.get("msg_signature"):
                raise Rejected(403, "safe mode requires encrypted messages")
            encrypt = root.findtext("Encrypt")
            if not encrypt:
                raise Rejected(400, "no Encrypt element")
            if not self._signature_ok([self.token, timestamp, nonce, encrypt],
                                      request.args.get("msg_signature")):
                raise Rejected(403, "bad msg_signature")
            try:
                plain = self.crypto.decrypt_message({"Encrypt": encrypt},
                                                    request.args.get("msg_signature"),
                                                    timestamp, nonce)
            except (InvalidSignatureException, InvalidAppIdException):
                raise Rejected(403, "wrong app id")
            except Exception as e:  # bad padding / base64: not produced with our key
                raise Rejected(403, f"undecryptable: {type(e).__name__}")
            inner = plain if isinstance(plain, (str, bytes)) else str(plain)
            self._parse_xml(inner)
            xml_text = inner
        else:
            if encrypted:
                raise Rejected(403, "encrypted message but no WECHAT_AES_KEY configured")
            xml_text = body
        try:
            message = parse_message(xml_text)
        except Exception as e:
            raise Rejected(400, f"unparsable message: {type(e).__name__}")
        if message is None or not getattr(message, "source", None):
            raise Rejected(400, "no FromUserName")
        if not OPENID_RE.fullmatch(message.source):
            raise Rejected(400, "FromUserName is not an openid")
        return message

    def reply(self, request: Request, message, text: Optional[str]) -> HTTPResponse:
        """The passive reply (encrypted in safe mode); `success` when there is nothing to say."""
        if not text:
            return response.text("success")
        xml = TextReply(content=text, message=message).render()
        if self.crypto is not None:
            nonce = request.args.get("nonce")
            xml = self.crypto.encrypt_message(xml, nonce, str(int(time.time())))
        return response.text(xml, content_type="application/xml")
