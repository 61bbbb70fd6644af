/* report/report_html.h - report.html: the run's summary as one self-contained page. */
#ifndef RENKEI_REPORT_REPORT_HTML_H
#define RENKEI_REPORT_REPORT_HTML_H

#include <cjson/cJSON.h>

/* Write the page for summary (the object written as summary.json) to path. */
int report_html_write(const char *path, const cJSON *summary);

#endif
