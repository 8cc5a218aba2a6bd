import useAsync from 'react-use/esm/useAsync';
import { Box, LinearProgress, Typography } from '@material-ui/core';
import { useApi } from '@backstage/frontend-plugin-api';
import { voiceRecordingApiRef } from '../../api/VoiceRecordingApi';
import { ErrorAlert } from '../ErrorAlert/ErrorAlert';
import { MyNumberCard } from './MyNumberCard';

/** The signed-in user's recorded numbers. */
export function MyNumbersPage() {
  const api = useApi(voiceRecordingApiRef);
  const { value, loading, error } = useAsync(() => api.getMyNumbers(), [api]);
  if (loading) return <LinearProgress />;
  if (error) return <ErrorAlert error={error} />;
  if (!value?.items.length) {
    return <Typography>You have no recorded numbers.</Typography>;
  }
  return (
    <Box display="flex" flexDirection="column" gridGap={16}>
      {value.items.map(n => (
        <MyNumberCard key={n.id} number={n} />
      ))}
    </Box>
  );
}
