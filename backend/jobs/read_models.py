"""What a page or another process reads of a job."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from backend.models.enums import JobStatus
from backend.models.job import ACTIVE_STATUSES


class JobRead(BaseModel):
    """One job as stored; a job whose process died reads as failed (see `job_service.read`)."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: str
    subject: int
    owner_id: int
    status: JobStatus
    progress: str | None = None
    progress_fraction: float | None = None
    result: dict[str, Any] | None = None
    error: str | None = None
    cancel_requested: bool = False
    created_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
    heartbeat_at: datetime | None = None

    @property
    def asking_again_helps(self) -> bool:
        """False when the job failed on a request refused for what it is (`AppError`)."""
        return (self.result or {}).get("asking_again_helps", True) is not False

    @property
    def active(self) -> bool:
        """Queued or running: a page keeps polling it."""
        return self.status in ACTIVE_STATUSES

    @property
    def progress_lines(self) -> list[str]:
        return [line for line in (self.progress or "").splitlines() if line.strip()]
