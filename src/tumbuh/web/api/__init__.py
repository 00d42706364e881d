"""REST API under /api/v1: bearer tokens from /api/v1/auth/token; without one, 401."""

from __future__ import annotations

from fastapi import APIRouter

from tumbuh.web.api import auth, growth, indicators, regions, register
from tumbuh.web.errors import API_ERROR_RESPONSES

router = APIRouter(prefix="/api/v1", responses=API_ERROR_RESPONSES)
router.include_router(auth.router)
router.include_router(regions.router)
router.include_router(growth.router)
router.include_router(register.router)
router.include_router(indicators.router)
