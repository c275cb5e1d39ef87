-- +goose Up
CREATE TABLE beds (id INTEGER PRIMARY KEY, ward_id INTEGER NOT NULL REFERENCES wards (id));

-- +goose Down
DROP TABLE beds;
