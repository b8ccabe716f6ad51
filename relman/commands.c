/* The command table: one line per command, in help order. */
#include "cmd.h"

extern const struct cmd_entry cmd_version_entry;
extern const struct cmd_entry cmd_pack_entry;
extern const struct cmd_entry cmd_unpack_entry;
extern const struct cmd_entry cmd_releases_entry;
extern const struct cmd_entry cmd_remove_entry;
extern const struct cmd_entry cmd_set_unpacked_entry;
extern const struct cmd_entry cmd_node_start_entry;
extern const struct cmd_entry cmd_node_stop_entry;
extern const struct cmd_entry cmd_status_entry;
extern const struct cmd_entry cmd_call_entry;
extern const struct cmd_entry cmd_cast_entry;
extern const struct cmd_entry cmd_suspend_entry;
extern const struct cmd_entry cmd_resume_entry;
extern const struct cmd_entry cmd_load_entry;
extern const struct cmd_entry cmd_purge_entry;
extern const struct cmd_entry cmd_change_code_entry;
extern const struct cmd_entry cmd_trace_entry;
extern const struct cmd_entry cmd_state_entry;
extern const struct cmd_entry cmd_plan_entry;
extern const struct cmd_entry cmd_check_entry;
extern const struct cmd_entry cmd_install_entry;
extern const struct cmd_entry cmd_permanent_entry;
extern const struct cmd_entry cmd_rollback_entry;
extern const struct cmd_entry cmd_reboot_old_entry;
extern const struct cmd_entry cmd_history_entry;
extern const struct cmd_entry cmd_config_entry;
extern const struct cmd_entry cmd_new_module_entry;
extern const struct cmd_entry cmd_new_app_entry;
extern const struct cmd_entry cmd_new_release_entry;

/* One line per command, in the order `relman help` lists them: the node,
   its processes, then releases. */
/* clang-format off */
const struct cmd_entry *const cmd_table[] = {
    &cmd_node_start_entry,
    &cmd_node_stop_entry,
    &cmd_status_entry,
    &cmd_call_entry,
    &cmd_cast_entry,
    &cmd_state_entry,
    &cmd_suspend_entry,
    &cmd_resume_entry,
    &cmd_load_entry,
    &cmd_purge_entry,
    &cmd_change_code_entry,
    &cmd_trace_entry,
    &cmd_pack_entry,
    &cmd_unpack_entry,
    &cmd_releases_entry,
    &cmd_config_entry,
    &cmd_plan_entry,
    &cmd_check_entry,
    &cmd_install_entry,
    &cmd_permanent_entry,
    &cmd_rollback_entry,
    &cmd_reboot_old_entry,
    &cmd_remove_entry,
    &cmd_set_unpacked_entry,
    &cmd_history_entry,
    &cmd_new_app_entry,
    &cmd_new_module_entry,
    &cmd_new_release_entry,
    &cmd_version_entry,
    NULL,
};
/* clang-format on */
