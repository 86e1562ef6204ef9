/* cli_demo: the bundled demo catalogue (data/demo/, linked into the binary)
 * loaded through the ordinary importer. */
#ifndef CLI_DEMO_H
#define CLI_DEMO_H

#include "../common/tm_err.h"
#include "../import/imp.h"
#include "../index/idx_db.h"

/* Imports the demo institutions, then the demo technologies. The source data
 * has no TRL or licence terms (no public dataset does), so each record gets
 * illustrative ones derived from its patent status and external_id, the same
 * on every run; all else is the real record. */
int cli_demo_load(idx_db *db, imp_report *inst_rep, imp_report *tech_rep,
                  tm_err *err) TM_MUST_CHECK;

#endif
