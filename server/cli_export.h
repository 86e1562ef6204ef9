/* cli_export: `techmart export`, the catalogue written as CSV, JSON Lines or
 * a JSON array in the importer's format (import/exp.h), so that importing
 * the file into an empty database gives the same technologies back. Reads
 * one snapshot of the database (a read transaction), a page of ids at a
 * time: memory does not grow with the catalogue. */
#ifndef CLI_EXPORT_H
#define CLI_EXPORT_H

/* The usage text of `techmart export`. */
extern const char cli_export_usage[];

/* Runs `techmart export ...` with argv[0] == "export". Returns the exit
 * status: 0 success, 1 failure, 2 usage error. */
int cli_export_main(int argc, char **argv);

#endif
