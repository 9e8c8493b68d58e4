-- Each tenant's quotas (NULL: no limit): tasks queued or running and runs running at once
-- (kept by the scheduler), task instances waiting (triggers refused past it), one component's
-- size and the components stored (deploys refused past them), and the user API's rate.
ALTER TABLE tenants ADD COLUMN max_running_tasks BIGINT;
ALTER TABLE tenants ADD COLUMN max_active_runs BIGINT;
ALTER TABLE tenants ADD COLUMN max_queued_tasks BIGINT;
ALTER TABLE tenants ADD COLUMN max_component_bytes BIGINT;
ALTER TABLE tenants ADD COLUMN max_components BIGINT;
ALTER TABLE tenants ADD COLUMN api_requests_per_second BIGINT;
ALTER TABLE tenants ADD COLUMN api_burst BIGINT;
