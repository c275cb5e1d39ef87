// Package benchmarks holds the benchmarks behind the README's
// Performance section. scripts/bench.sh runs them against a throwaway
// PostgreSQL server and prints the table.
package benchmarks
