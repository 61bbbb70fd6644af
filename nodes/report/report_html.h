/* report/report_html.h - report.html: the run's summary as one self-contained page. */
#ifndef RENKEI_REPORT_REPORT_HTML_H
#define RENKEI_REPORT_REPORT_HTML_H

#include <cjson/cJSON.h>
#include <stddef.h>

/* Write the page for summary (the object written as summary.json) to path. */
int report_html_write(const char *path, const cJSON *summary);
/* Read a summary.json for `renkei report` by the strict reader (sim_json.h): a JSON object
 * of at most 64 MiB. 0 and *out (the caller deletes it), or a negative errno with a one-line
 * reason in why naming the file (and the byte and the rule broken). */
int report_read_summary(const char *path, cJSON **out, char *why, size_t n);

#endif
