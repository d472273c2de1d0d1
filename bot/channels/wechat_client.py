"""WeChat's customer-service message API (客服消息), for replies that do not fit a passive reply:
late ones, the rest of a long one, and an agent's reply from the console's desk.

One access token serves every replica: it lives in Redis (memory without REDIS_URL) with a TTL
shorter than its validity, so it is refreshed before it expires, and a Redis lock makes one
replica fetch it while the others wait and read the new one.
"""
from __future__ import annotations

import asyncio
import threading
import time
from typing import Dict, List, Optional

from wechatpy import WeChatClient
from wechatpy.session.memorystorage import MemoryStorage
from wechatpy.session.redisstorage import RedisStorage

from bot.settings import WeChatSettings


class _TtlMemoryStorage(MemoryStorage):
    """wechatpy's MemoryStorage ignores TTLs; the access token must expire."""

    def __init__(self) -> None:
        super().__init__()
        self._expiry: Dict[str, float] = {}

    def get(self, key, default=None):
        if self._expiry.get(key, float("inf")) < time.time():
            self.delete(key)
        return super().get(key, default)

    def set(self, key, value, ttl=None):
        super().set(key, value, ttl)
        if ttl:
            self._expiry[key] = time.time() + ttl

    def delete(self, key):
        self._expiry.pop(key, None)
        self._data.pop(key, None)


class CityWeChatClient(WeChatClient):
    """WeChatClient with a configurable API base and one access token for all replicas."""

    REFRESH_MARGIN = 300

    def __init__(self, appid, secret, api_base: str, session, redis_client=None,
                 timeout: float = 5) -> None:
        super().__init__(appid, secret, session=session, timeout=timeout)
        self.api_base = api_base.rstrip("/")
        self.API_BASE_URL = self.api_base + "/cgi-bin/"
        self._redis = redis_client
        self._local_lock = threading.Lock()

    def fetch_access_token(self):
        result = self._fetch_access_token(
            url=self.api_base + "/cgi-bin/token",
            params={"grant_type": "client_credential", "appid": self.appid,
                    "secret": self.secret})
        expires_in = int(result.get("expires_in") or 7200)
        ttl = max(60, expires_in - min(self.REFRESH_MARGIN, expires_in // 2))
        self.session.set(self.access_token_key, result["access_token"], ttl)
        self.expires_at = None  # the storage TTL decides (shared by every replica)
        return result

    @property
    def access_token(self):
        token = self.session.get(self.access_token_key)
        if token:
            return token
        lock = (self._redis.lock(f"{self.session.prefix}:{self.access_token_key}:lock",
                                 timeout=30, blocking_timeout=30)
                if self._redis is not None else self._local_lock)
        with lock:
            token = self.session.get(self.access_token_key)  # another replica may have fetched it
            if not token:
                self.fetch_access_token()
                token = self.session.get(self.access_token_key)
        return token


def make_client(settings: WeChatSettings) -> Optional[CityWeChatClient]:
    """None without WECHAT_APP_ID and WECHAT_APP_SECRET (passive replies only)."""
    if not (settings.app_id and settings.app_secret):
        return None
    if settings.redis_url:
        import redis

        sync = redis.Redis.from_url(settings.redis_url)
        session = RedisStorage(sync, prefix=f"{settings.prefix}:api")
    else:
        sync, session = None, _TtlMemoryStorage()
    return CityWeChatClient(settings.app_id, settings.app_secret, settings.api_base, session,
                            redis_client=sync)


class CustomerService:
    """Customer-service messages, in order per user (wechatpy is synchronous: off the loop)."""

    def __init__(self, settings: WeChatSettings) -> None:
        self.settings = settings
        self._client: Optional[CityWeChatClient] = None
        self._user_locks: Dict[str, asyncio.Lock] = {}

    @property
    def client(self) -> Optional[CityWeChatClient]:
        if self._client is None:
            self._client = make_client(self.settings)
        return self._client

    async def send(self, openid: str, chunks: List[str]) -> None:
        """Raises the first failure (wechatpy's API and transport errors); later chunks wait."""
        if not chunks:
            return
        client = self.client
        if client is None:
            raise LookupError("WECHAT_APP_ID/WECHAT_APP_SECRET not set")
        lock = self._user_locks.setdefault(openid, asyncio.Lock())
        try:
            async with lock:
                loop = asyncio.get_running_loop()
                for chunk in chunks:
                    await loop.run_in_executor(None, client.message.send_text, openid, chunk)
        finally:
            if not lock.locked() and self._user_locks.get(openid) is lock:
                self._user_locks.pop(openid, None)
