-- +goose Up
CREATE TABLE wards (id BIGINT PRIMARY KEY, name TEXT NOT NULL);

-- +goose Down
DROP TABLE wards;
