# bench/lib.sh — helpers shared by the benchmarks, the fault tests and the
# soak (bash; sourced after tests/integration/lib.sh and it_setup).

# The test PostgreSQL runs with fsync and synchronous_commit off (fast tests).
# Benchmarks and durability tests need the real thing: an acknowledged report
# must survive a crash, so turn both back on and restart.
pg_durable() {
	_pgtest_as_pg tee -a "$PGTEST_DIR/data/pgtest.conf" >/dev/null <<'CONF'
# bench/lib.sh pg_durable: acknowledged = durable
fsync = on
synchronous_commit = on
full_page_writes = on
max_connections = 100
shared_buffers = 128MB
CONF
	pgtest_restart fast >/dev/null || die "PostgreSQL did not restart durable"
}

# The machine's load, to print next to every figure (others share the cores).
bench_load() {
	printf 'load %s' "$(cut -d' ' -f1-3 /proc/loadavg)"
}

# The line a figure is printed with: NAME VALUE (load ...).
bench_note() {
	echo "$* ($(bench_load))"
}
