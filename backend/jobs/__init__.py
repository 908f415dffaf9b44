"""Backend jobs: the one way long model work runs (a reply, a review, a client check).

Kernel package: it imports no domain; each domain registers its kinds (`runner.register`). A
service creates the job row in its own transaction (`job_service.create`, which returns the job
already under way for the same kind and subject instead of a second one), then hands it to the
process-wide pool (`runner.submit`). Progress, result and error are in the `jobs` table, so any
process can follow a job by its id or its subject; the process that runs it also has its live
view (`runner.live_job`: streamed text at once). See `runner` and `job_service` for heartbeats,
cancelling and what happens to a job whose process died.
"""
