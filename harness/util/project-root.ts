/** Where the repository's fixtures, Dockerfiles and scenarios live (this file is harness/util/project-root.ts). */
export const PROJECT_ROOT = new URL("../../", import.meta.url).pathname;
