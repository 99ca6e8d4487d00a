-- A grid worker's home lists their grids.
CREATE INDEX grids_worker ON grids(worker_user_id);
