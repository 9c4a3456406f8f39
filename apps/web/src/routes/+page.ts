import { redirect } from '@sveltejs/kit';
import { lastProjectId } from '#lib/session.svelte.ts';

/** `/` opens the AI Activity of the last project seen (project 1 at first). */
export function load() {
  redirect(307, `/projects/${encodeURIComponent(lastProjectId())}/ai`);
}
