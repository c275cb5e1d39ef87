-- +goose Up
CREATE TABLE wards (id INTEGER PRIMARY KEY, name TEXT NOT NULL);

-- +goose Down
DROP TABLE wards;
