/**
 * Never a blank page: a page that throws while rendering, or whose code cannot be loaded (a
 * lazy chunk gone after the hub was upgraded under an open tab, a dropped network), shows a
 * message and a way to reload instead of unmounting the whole console. The boundary is keyed on
 * the route, so moving to another page starts afresh.
 */
import { Component, type ReactNode } from 'react';

interface Props {
  children: ReactNode;
  heading: string;
  reload: string;
}

export class PageErrorBoundary extends Component<Props, { error: Error | null }> {
  override state: { error: Error | null } = { error: null };

  static getDerivedStateFromError(error: unknown): { error: Error } {
    return { error: error instanceof Error ? error : new Error(String(error)) };
  }

  override render(): ReactNode {
    const { error } = this.state;
    if (!error) return this.props.children;
    return (
      <div className="error" role="alert" data-code="PAGE">
        <strong>{this.props.heading}</strong>
        {error.message && <span>：{error.message}</span>}
        <div><button type="button" className="secondary" onClick={() => location.reload()}>{this.props.reload}</button></div>
      </div>
    );
  }
}
