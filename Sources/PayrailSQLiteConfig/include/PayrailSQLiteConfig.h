#ifndef PAYRAIL_SQLITE_CONFIG_H
#define PAYRAIL_SQLITE_CONFIG_H

/// `sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0)`, which Swift cannot call (it is variadic); why, and when it runs:
/// `SQLiteProcessSettings`. Returns SQLite's result code: `SQLITE_OK`, or `SQLITE_MISUSE` when SQLite was already
/// initialised in this process (then nothing changed).
int payrail_sqlite_disable_memory_statistics(void);

#endif
