/* idx_wb: starts the kernel writing a database file's dirty pages back
 * while a load still runs, so that the commit's fsync, which waits for all
 * of them, has little left to wait for. Used while an import has the file
 * to itself (idx_db_solo_begin): then its pages go straight to the file,
 * not to a write-ahead log. Linux only (sync_file_range); elsewhere a
 * no-op. Called from the thread that owns the connection (idx_db). */
#ifndef IDX_WB_H
#define IDX_WB_H

#include <sqlite3.h>

typedef struct idx_wb idx_wb;

/* A writer for the main database file of h, or NULL when there is none to
 * have (an in-memory or temporary database, no descriptor found, not
 * Linux). Its thread waits for idx_wb_kick. */
idx_wb *idx_wb_start(sqlite3 *h);
/* Asks for the file's dirty pages to be written back; returns at once. */
void idx_wb_kick(idx_wb *w);
/* Stops and frees w (NULL is a no-op); waits for a pass under way. */
void idx_wb_stop(idx_wb *w);

#endif
