-- +goose Up
ALTER TABLE visits ADD COLUMN notes TEXT;

-- +goose Down
ALTER TABLE visits DROP COLUMN notes;
