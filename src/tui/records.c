/* Record operations (see records.h). */
#include "records.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

void records_name(const tui_app *app, size_t i, char *buf, size_t size)
{
    char *id = aft_dataset_get_string(app->ds, i, "id");
    if (id && *id)
        snprintf(buf, size, "%s", id);
    else
        snprintf(buf, size, "#%zu", i + 1);
    free(id);
}

int records_add(tui_app *app)
{
    if (!app->ds)
        return -1;
    /* A fresh id from the clock: unique without a pass over every record. */
    char id[64];
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    strftime(id, sizeof id, "new-%Y%m%d-%H%M%S", &tm);
    size_t n = strlen(id);
    snprintf(id + n, sizeof id - n, "-%lu", ++app->add_serial);
    const char *action = app->sel != SIZE_MAX ? aft_dataset_action(app->ds, app->sel) : NULL;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "id", id);
    cJSON_AddStringToObject(o, "context", "");
    cJSON_AddStringToObject(o, "agent_action", action && *action ? action : "unlabelled");
    char *json = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    if (!json)
        return -1;
    aft_error err = {0};
    size_t idx;
    int rc = aft_dataset_add(app->ds, json, &idx, &err);
    free(json);
    if (rc < 0) {
        app_message(app, ROLE_ERROR, "add failed: %s", err.msg);
        return -1;
    }
    app_dataset_edited(app);
    app_select(app, idx);
    app_message(app, ROLE_OK, "added record %s (journalled); type its context", id);
    return 0;
}

static void do_delete(tui_app *app, void *ctx)
{
    size_t i = (size_t)(uintptr_t)ctx;
    char name[128];
    records_name(app, i, name, sizeof name);
    aft_error err = {0};
    if (aft_dataset_delete(app->ds, i, &err) < 0) {
        app_message(app, ROLE_ERROR, "delete failed: %s", err.msg);
        return;
    }
    size_t count = aft_dataset_count(app->ds);
    app->sel = count == 0 ? SIZE_MAX : i < count ? i : count - 1;
    app_dataset_edited(app);
    app_message(app, ROLE_OK, "deleted record %s (journalled)", name);
}

void records_delete(tui_app *app)
{
    if (!app->ds || app->sel == SIZE_MAX)
        return;
    char name[128];
    records_name(app, app->sel, name, sizeof name);
    app_ask(app, do_delete, (void *)(uintptr_t)app->sel, "delete record %s? (y/n)", name);
}

int records_duplicate(tui_app *app)
{
    if (!app->ds || app->sel == SIZE_MAX)
        return -1;
    aft_error err = {0};
    size_t idx;
    if (aft_dataset_duplicate(app->ds, app->sel, &idx, &err) < 0) {
        app_message(app, ROLE_ERROR, "duplicate failed: %s", err.msg);
        return -1;
    }
    app_dataset_edited(app);
    app_select(app, idx);
    char name[128];
    records_name(app, idx, name, sizeof name);
    app_message(app, ROLE_OK, "duplicated as %s (journalled)", name);
    return 0;
}
