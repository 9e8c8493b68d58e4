-- Mapped tasks. A mapped task's own task instance sums its instances up: `map_count` is how
-- many it expanded into (NULL until it expands). Each instance is a task instance of its
-- own, stored as `<task>[<map_index>]`, with its map index and the item it runs over (JSON
-- text). NULL on every other task instance.
ALTER TABLE task_instances ADD COLUMN map_count INTEGER;
ALTER TABLE task_instances ADD COLUMN map_index INTEGER;
ALTER TABLE task_instances ADD COLUMN map_item TEXT;
