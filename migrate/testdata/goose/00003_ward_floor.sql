-- +goose Up
ALTER TABLE wards ADD COLUMN floor INTEGER NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE wards DROP COLUMN floor;
