import useAsync from 'react-use/esm/useAsync';
import { Flex, Skeleton, Text } from '@backstage/ui';
import { useApi } from '@backstage/frontend-plugin-api';
import { voiceRecordingApiRef } from '../../api/VoiceRecordingApi';
import { ErrorAlert } from '../ErrorAlert/ErrorAlert';
import { MyNumberCard } from './MyNumberCard';

/** The signed-in user's recorded numbers. */
export function MyNumbersPage() {
  const api = useApi(voiceRecordingApiRef);
  const { value, loading, error } = useAsync(() => api.getMyNumbers(), [api]);
  if (loading) return <Skeleton width="100%" height={32} />;
  if (error) return <ErrorAlert error={error} />;
  if (!value?.items.length) {
    return <Text as="p">You have no recorded numbers.</Text>;
  }
  return (
    <Flex direction="column" gap="4">
      {value.items.map(n => (
        <MyNumberCard key={n.id} number={n} />
      ))}
    </Flex>
  );
}
