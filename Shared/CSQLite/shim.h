#include <sqlite3.h>

// sqlite3_config is variadic, which Swift cannot call: one fixed-signature wrapper per option used.
// SQLITE_CONFIG_MEMSTATUS off: SQLite stops keeping allocation statistics, which it updates under a
// global mutex on every one of its allocations (about 40 lock/unlock pairs per verify in callgrind).
// Passcode reads none of them (no sqlite3_memory_used, sqlite3_status or soft heap limit). It must
// run before SQLite initialises (the first open does); later it answers SQLITE_MISUSE and changes
// nothing.
static inline int passcode_sqlite3_disable_memstatus(void) {
    return sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}
