"""Response bodies of the organization's settings (the settings themselves: common.org_settings)."""

from __future__ import annotations

from pydantic import BaseModel

from common.org_settings import OrganizationSettings


class SettingsSaved(BaseModel):
    """The saved settings and the job re-running the engines they affect."""

    settings: OrganizationSettings
    job_id: str
