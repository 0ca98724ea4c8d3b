#ifndef PAYRAIL_SQLITE_CONFIG_H
#define PAYRAIL_SQLITE_CONFIG_H

/// Turns off SQLite's memory statistics for this process (`SQLITE_CONFIG_MEMSTATUS`, 0).
///
/// With them on (the library's default), every SQLite allocation and free takes a global mutex to keep
/// `sqlite3_memory_used()` and `sqlite3_status()` up to date; Payrail reads neither. `sqlite3_config` is variadic,
/// which Swift cannot call, hence this C function. It must run before SQLite initialises (before the process opens
/// its first connection). Returns SQLite's result code: `SQLITE_OK`, or `SQLITE_MISUSE` when SQLite was already
/// initialised in this process (then nothing changed).
int payrail_sqlite_disable_memory_statistics(void);

#endif
