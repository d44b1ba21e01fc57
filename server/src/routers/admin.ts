import { AdminOverviewInput, AdminOverviewOutput } from '@agora-backend/shared';
import { router } from '../trpc/init.js';
import { scopedProcedure } from '../trpc/procedures.js';

/** What an operator needs at a glance; admins only. */
export const adminRouter = router({
  /** Counts by state, the newest failures with their reasons, and upstream health since start-up. */
  overview: scopedProcedure('admin')
    .input(AdminOverviewInput)
    .output(AdminOverviewOutput)
    .query(({ ctx }) => ctx.services.overview()),
});
