/* cli_import: `techmart import`, technologies from files into the database
 * (import/imp.h does the work; this is options, progress and the report:
 * "file:line: field: message" lines and a summary per file, or one JSON
 * object for the whole run). Exit status 0 when every record of every file
 * was stored, 1 on any rejection or file error, 2 on a usage error. */
#ifndef CLI_IMPORT_H
#define CLI_IMPORT_H

/* The usage text of `techmart import`. */
extern const char cli_import_usage[];

/* Runs `techmart import ...` with argv[0] == "import"; returns the exit
 * status. */
int cli_import_main(int argc, char **argv);

#endif
