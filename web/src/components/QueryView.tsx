// Renders a query's three states (loading, error, data) the same way on every page.
import type { ReactNode } from "react";
import type { Query } from "../hooks";
import { ErrorBox, LoadingBlock } from "./ui";

export function QueryView<T>(props: {
  query: Query<T>;
  children: (data: T) => ReactNode;
  loading?: ReactNode;
  /** Shown when the endpoint answers 404: the engine has no result for this account yet. */
  notReady?: ReactNode;
}) {
  const { query } = props;
  if (query.data === undefined && query.loading) return <>{props.loading ?? <LoadingBlock />}</>;
  if (query.error) {
    if (query.status === 404 && props.notReady) return <>{props.notReady}</>;
    return <ErrorBox message={query.error} onRetry={query.reload} />;
  }
  if (query.data === undefined) return null;
  return <>{props.children(query.data)}</>;
}
