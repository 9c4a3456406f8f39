import type { AiContentCaptureSetData, AiProviderCredentialRemovedData, AiProviderCredentialSetData } from './events';

/** The AI Gateway's per-project settings, folded from the `ai-providers` stream. */
export interface AiProviderState {
  /** projectId -> provider -> the credential in force (the key still encrypted). */
  credentials: Map<string, Map<string, AiProviderCredentialSetData>>;
  /** projectId -> content capture on/off (absent: the server default). */
  contentCapture: Map<string, boolean>;
}

export const emptyAiProviderState = (): AiProviderState => ({ credentials: new Map(), contentCapture: new Map() });

export function evolveAiProviders(state: AiProviderState, event: { type: string; data: unknown }): AiProviderState {
  switch (event.type) {
    case 'AiProviderCredentialSet': {
      const d = event.data as AiProviderCredentialSetData;
      let byProvider = state.credentials.get(d.projectId);
      if (!byProvider) state.credentials.set(d.projectId, (byProvider = new Map()));
      byProvider.set(d.provider, d);
      break;
    }
    case 'AiProviderCredentialRemoved': {
      const d = event.data as AiProviderCredentialRemovedData;
      state.credentials.get(d.projectId)?.delete(d.provider);
      break;
    }
    case 'AiContentCaptureSet': {
      const d = event.data as AiContentCaptureSetData;
      state.contentCapture.set(d.projectId, d.enabled);
      break;
    }
  }
  return state;
}
