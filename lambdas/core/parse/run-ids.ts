/**
 * The run id an end line carries when it cannot name its run ("the run of this job that is open
 * now": systemd's Finished/Failed lines). The job reducer resolves it.
 */
export const OPEN_RUN = '*open';
