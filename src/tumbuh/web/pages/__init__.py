"""Server-rendered pages. Every unsafe request on them passes the CSRF check first."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from tumbuh.web.csrf import csrf_protect
from tumbuh.web.pages import (
    admin,
    auth,
    growth,
    imports,
    interventions,
    meetings,
    quality,
    region_panels,
    regions,
    register,
    village,
)

router = APIRouter(dependencies=[Depends(csrf_protect)], include_in_schema=False)
router.include_router(auth.router)
router.include_router(region_panels.router)
router.include_router(regions.router)
router.include_router(quality.router)
router.include_router(imports.router)
router.include_router(interventions.router)
router.include_router(growth.router)
router.include_router(register.router)
router.include_router(admin.router)
router.include_router(village.router)
router.include_router(meetings.router)
