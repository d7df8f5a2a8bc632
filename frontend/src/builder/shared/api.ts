/**
 * The designers' one way to the server: JSON over /api/v1 with the session cookie.
 *
 * Writes carry the CSRF token the page shell hands out (data-csrf on #builder-root), since
 * cookie sessions need it. Failures become an ApiError built from the RFC 9457 problem the
 * server answers (title, detail, errors[] with JSON pointers), so screens can show what to
 * fix; a network failure is an ApiError with status 0.
 */

export interface ProblemItem {
  pointer: string;
  code: string;
  message: string;
  params?: Record<string, unknown>;
}

export class ApiError extends Error {
  readonly status: number;
  readonly title: string;
  readonly detail: string;
  readonly problems: ProblemItem[];

  constructor(status: number, title: string, detail = "", problems: ProblemItem[] = []) {
    super(detail || title);
    this.name = "ApiError";
    this.status = status;
    this.title = title;
    this.detail = detail;
    this.problems = problems;
  }
}

export interface Response_<T> {
  data: T;
  etag: string | null;
  status: number;
}

export interface ApiOptions {
  csrf?: string;
  /** Base URL, "" for same origin (tests pass a server's origin). */
  base?: string;
  fetch?: typeof fetch;
}

export type Method = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

/** A small client; one per page. */
export class Api {
  private readonly csrf: string;
  private readonly base: string;
  private readonly fetcher: typeof fetch;

  constructor(options: ApiOptions = {}) {
    this.csrf = options.csrf ?? "";
    this.base = options.base ?? "";
    this.fetcher = options.fetch ?? ((...args) => fetch(...args));
  }

  /** Send one request; resolves with the parsed body and ETag, rejects with ApiError. */
  async request<T>(
    method: Method,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<Response_<T>> {
    const sent: Record<string, string> = { Accept: "application/json", ...headers };
    if (method !== "GET") sent["X-CSRFToken"] = this.csrf;
    if (body !== undefined) sent["Content-Type"] = "application/json";
    let response: Response;
    try {
      response = await this.fetcher(this.base + path, {
        method,
        headers: sent,
        body: body === undefined ? undefined : JSON.stringify(body),
        credentials: "same-origin",
      });
    } catch {
      throw new ApiError(0, "offline", "");
    }
    const text = await response.text();
    let parsed: unknown = null;
    if (text) {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = null;
      }
    }
    if (!response.ok) throw problemError(response.status, parsed);
    return { data: parsed as T, etag: response.headers.get("ETag"), status: response.status };
  }

  async get<T>(path: string): Promise<T> {
    return (await this.request<T>("GET", path)).data;
  }

  async post<T>(path: string, body?: unknown): Promise<T> {
    return (await this.request<T>("POST", path, body ?? {})).data;
  }

  async patch<T>(path: string, body: unknown): Promise<T> {
    return (await this.request<T>("PATCH", path, body)).data;
  }

  async delete<T>(path: string): Promise<T> {
    return (await this.request<T>("DELETE", path)).data;
  }
}

function problemError(status: number, body: unknown): ApiError {
  if (body !== null && typeof body === "object") {
    const problem = body as Record<string, unknown>;
    const items = Array.isArray(problem.errors) ? (problem.errors as ProblemItem[]) : [];
    return new ApiError(
      status,
      typeof problem.title === "string" ? problem.title : String(status),
      typeof problem.detail === "string" ? problem.detail : "",
      items.filter((item) => item !== null && typeof item === "object"),
    );
  }
  return new ApiError(status, String(status));
}

/** The path segment for a key, escaped. */
export function seg(value: string): string {
  return encodeURIComponent(value);
}

/** The page data the Flask shell puts on #builder-root. */
export interface PageData {
  page: string;
  key: string;
  lang: Lang;
  csrf: string;
  user: string;
  role: string;
}

export type Lang = "en" | "zh-CN";

/** Read the shell's data attributes. */
export function readPageData(root: HTMLElement): PageData {
  const data = root.dataset;
  return {
    page: data.page ?? "",
    key: data.key ?? "",
    lang: data.lang === "zh-CN" ? "zh-CN" : "en",
    csrf: data.csrf ?? "",
    user: data.user ?? "",
    role: data.role ?? "",
  };
}
